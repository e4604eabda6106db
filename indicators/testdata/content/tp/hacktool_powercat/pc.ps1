function powercat
{
  param([alias("Client")][string]$c="", [alias("Listen")][switch]$l=$False, [alias("Port")][string]$p="", [alias("Execute")][string]$e="")
  function Setup_TCP
  {
    param($FuncSetupVars)
    $c,$l,$p,$t = $FuncSetupVars
    $FuncVars = @{}
    if (!$l) { $FuncVars["Socket"] = New-Object System.Net.Sockets.TcpClient; $FuncVars["Socket"].Connect($c, $p) }
    return $FuncVars
  }
  function ReadData_TCP { param($FuncVars) return $null,$FuncVars }
  function WriteData_TCP { param($Data,$FuncVars) return $FuncVars }
  function Setup_CMD { param($FuncSetupVars) return @{} }
}
