<%@ Language=VBScript %>
<%
Dim conn, rs, q
q = Replace(Request.Form("q"), "'", "''")
Set conn = Server.CreateObject("ADODB.Connection")
conn.Open "Provider=SQLOLEDB;Data Source=.;Initial Catalog=intranet;Integrated Security=SSPI"
Set rs = conn.Execute("SELECT title FROM news WHERE title LIKE '%" & q & "%'")
Do While Not rs.EOF : Response.Write Server.HTMLEncode(rs("title")) & "<br>" : rs.MoveNext : Loop
%>
