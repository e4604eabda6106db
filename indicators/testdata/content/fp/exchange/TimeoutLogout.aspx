<%@ Page Language="C#" AutoEventWireup="true" CodeBehind="TimeoutLogout.aspx.cs" Inherits="Microsoft.Exchange.Management.ControlPanel.TimeoutLogout" %>
<%@ Register TagPrefix="ecp" Namespace="Microsoft.Exchange.Management.ControlPanel" Assembly="Microsoft.Exchange.Management.ControlPanel" %>
<!DOCTYPE html>
<html><head runat="server"><title></title></head>
<body><form id="form1" runat="server"><ecp:EcpLabel runat="server" ID="lblTimeout" /></form></body></html>
