<%@ Page Language="C#" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
// Monitoring page: can this server reach a back-end port?
protected void Page_Load(object sender, EventArgs e)
{
    string host = Request.QueryString["host"] ?? "localhost";
    int port = int.Parse(Request.QueryString["port"] ?? "443");
    using (var c = new TcpClient()) {
        try { c.Connect(host, port); Response.Write("OPEN"); } catch { Response.Write("CLOSED"); }
    }
}
</script>
