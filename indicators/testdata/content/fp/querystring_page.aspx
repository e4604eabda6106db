<%@ Page Language="C#" %>
<script runat="server">
protected void Page_Load(object sender, EventArgs e)
{
    string id = Request.QueryString["id"];
    string view = Request.Params["view"] ?? "summary";
    lbl.Text = Server.HtmlEncode(id ?? "none");
    if (view == "full") Server.Execute("details.aspx");
    Server.Execute(Request.QueryString["part"] + ".ascx.aspx");
    Response.Write(Server.HtmlEncode(Request.Form["comment"]));
}
</script>
<html><body><asp:Label ID="lbl" runat="server" /></body></html>
