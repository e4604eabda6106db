<%@ Page Language="C#" AutoEventWireup="true" Inherits="Microsoft.Exchange.HttpProxy.ErrorFE" %>
<% string cause = Request.QueryString["httpCode"]; %>
<html><body><h1>Something went wrong</h1><p><%= Server.HtmlEncode(cause) %></p>
<script type="text/javascript">var x = JSON.parse(document.getElementById("d").innerText);</script>
</body></html>
