# Nightly health check of the Exchange server: services, LSASS memory, ports.
$ls = Get-Process lsass
"lsass working set: {0:N0} MB" -f ($ls.WorkingSet64 / 1MB)
foreach ($port in 25, 443, 587) {
    $tcp = New-Object System.Net.Sockets.TCPClient
    try { $tcp.Connect('localhost', $port); "port $port open" } catch { "port $port closed" } finally { $tcp.Close() }
}
# w3wp dumps for support cases are taken with: procdump -ma w3wp.exe C:\dumps
Get-Service MSExchange* | Where-Object Status -ne Running
