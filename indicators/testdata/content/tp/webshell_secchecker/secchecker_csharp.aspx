<%@ Page Language="C#" %>
<html><head>
<%
if (System.IO.File.Exists(@"C:\Program Files\CrowdStrike\CSFalconService.exe")) { Response.Write("2"); }
else if (System.IO.File.Exists(@"C:\Program Files (x86)\FireEye\xagt.exe")) { Response.Write("3"); }
else { Response.Write("0"); }
%>
</head><body></body></html>
