<%@ Page Language="JScript" %>
<script runat="server">
function Page_Load(sender : Object, e : EventArgs) {
    var name : String = Request.QueryString["name"];
    Greeting.Text = "Hello, " + Server.HtmlEncode(name);
}
</script>
<html><body><asp:Label id="Greeting" runat="server" /></body></html>
