<%@ Page Language="C#" %>
<script runat="server">
protected void Page_Load(object sender, EventArgs e) { if (!IsPostBack) { grid.DataSource = Catalog.Items(Request.QueryString["cat"]); grid.DataBind(); } }
</script>
<html><body><form runat="server">
<asp:Repeater ID="grid" runat="server"><ItemTemplate>
  <li><%# Eval("Title") %> - <%# DataBinder.Eval(Container.DataItem, Request.QueryString["col"] ?? "Price", "{0:c}") %></li>
</ItemTemplate></asp:Repeater>
</form></body></html>
