<%@ Page language="c#" AutoEventWireup="false" Inherits="Microsoft.Exchange.HttpProxy.Logon" %>
<%@ Import Namespace="Microsoft.Exchange.Clients" %>
<%@ Import Namespace="Microsoft.Exchange.HttpProxy" %>
<!DOCTYPE html>
<html>
<head>
<meta http-equiv="X-UA-Compatible" content="IE=10" />
<title><%=LocalizedStrings.GetHtmlEncoded(Strings.OutlookWebAccess)%></title>
<script type="text/javascript">
    function IsOwaPremiumBrowser() { return <%=IsOwaPremiumBrowser ? "true" : "false" %>; }
    var a_sUrl = "<%=EncodingUtilities.JavascriptEncode(Destination)%>";
    function clkLgn() { var gbid = function (s) { return document.getElementById(s); }; gbid("lgnDiv").style.display = "none"; }
</script>
</head>
<body class="signInBg" style="display: none" >
<form action="/owa/auth.owa" method="POST" name="logonForm" ENCTYPE="application/x-www-form-urlencoded" autocomplete="off">
<input type="hidden" name="destination" value="<%=EncodingUtilities.HtmlEncode(Destination)%>">
<input type="hidden" name="flags" id="flags" value="4">
<% if (Request.QueryString["reason"] == "2") { %><div class="signInError"><%=LocalizedStrings.GetHtmlEncoded(Strings.LogoffChangePasswordClientReauth)%></div><% } %>
<input id="username" name="username" type="email"><input id="password" name="password" type="password">
</form>
</body>
</html>
