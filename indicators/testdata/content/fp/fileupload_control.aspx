<%@ Page Language="C#" %>
<script runat="server">
protected void Upload(object sender, EventArgs e)
{
    if (FileUpload1.HasFile && FileUpload1.FileName.EndsWith(".png"))
        FileUpload1.SaveAs(Server.MapPath("~/images/") + System.Guid.NewGuid() + ".png");
}
</script>
<html><body><form runat="server"><asp:FileUpload ID="FileUpload1" runat="server" /><asp:Button Text="Send" OnClick="Upload" runat="server" /></form></body></html>
