/**
 * The agent bundle's install-agent.ps1 (Windows PowerShell 5.1, as Administrator) and README.txt.
 * The script copies the bundle to Program Files, leaves its ProgramData folder to SYSTEM and
 * Administrators (owner and ACL set by SID, then checked), refuses a token, certificate or key
 * found there that another account could have written, creates them once, registers the agent as a scheduled task that runs as SYSTEM at
 * every boot, starts it, and prints what the runner needs: URL, token file and fingerprint.
 */
export const INSTALL_SCRIPT = `# drvcycle agent: install as a SYSTEM scheduled task that starts at boot.
# Run as Administrator:  powershell -ExecutionPolicy Bypass -File install-agent.ps1 [-ListenHost 0.0.0.0 -AllowRemote] [-Port 8765]
param(
  [string]$InstallDir = (Join-Path $env:ProgramFiles 'drvcycle-agent'),
  [string]$DataDir = (Join-Path $env:ProgramData 'drvcycle'),
  [string]$ListenHost = '127.0.0.1',
  [int]$Port = 8765,
  [switch]$AllowRemote,
  [string]$TaskName = 'drvcycle-agent'
)
$ErrorActionPreference = 'Stop'
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'Run install-agent.ps1 from an elevated PowerShell (Run as administrator): the agent loads kernel drivers.'
}
if (($ListenHost -ne '127.0.0.1') -and ($ListenHost -ne '::1') -and (-not $AllowRemote)) {
  throw "-ListenHost $ListenHost lets other machines reach the agent; add -AllowRemote to mean it."
}
# Only SYSTEM and Administrators (by SID: names are localized) may own, change or read what the agent
# trusts: a token or key another account could write would be the one the SYSTEM agent uses.
$trusted = @('S-1-5-18', 'S-1-5-32-544')
# Write/append data (add file/subfolder), delete child, delete, change permissions, take ownership, GENERIC_ALL, GENERIC_WRITE
$changeRights = 0x2 -bor 0x4 -bor 0x40 -bor 0x10000 -bor 0x40000 -bor 0x80000 -bor 0x10000000 -bor 0x40000000
function Get-TrustProblem([string]$Path, [switch]$Secret) {
  $acl = Get-Acl -LiteralPath $Path
  $owner = $acl.GetOwner([Security.Principal.SecurityIdentifier]).Value
  if ($trusted -notcontains $owner) { return "$Path is owned by $owner, not by SYSTEM or Administrators" }
  foreach ($rule in $acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier])) {
    $sid = $rule.IdentityReference.Value
    if (($rule.AccessControlType -ne 'Allow') -or ($trusted -contains $sid) -or ($sid -eq 'S-1-3-4')) { continue }
    $mask = [int]$rule.FileSystemRights
    if (($mask -band $changeRights) -ne 0) { return "$Path lets $sid change it ($($rule.FileSystemRights))" }
    # Read data, or GENERIC_READ (bit 31: a negative Int32)
    if ($Secret -and ((($mask -band 0x1) -ne 0) -or ($mask -lt 0))) { return "$Path lets $sid read it ($($rule.FileSystemRights))" }
  }
  return $null
}
New-Item -ItemType Directory -Force -Path $InstallDir, $DataDir | Out-Null
# ProgramData lets every user create files and folders in it: Administrators own the data folder,
# and it grants SYSTEM and Administrators alone, nothing inherited; then it is checked.
& icacls.exe $DataDir /setowner '*S-1-5-32-544' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls could not make Administrators the owner of $DataDir (exit code $LASTEXITCODE)." }
& icacls.exe $DataDir /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' /grant:r '*S-1-5-32-544:(OI)(CI)F' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls could not restrict $DataDir to SYSTEM and Administrators (exit code $LASTEXITCODE)." }
$problem = Get-TrustProblem $DataDir
if ($problem) { throw "$($problem): it must be left to SYSTEM and Administrators. Check it with: icacls $DataDir" }
Copy-Item -Path (Join-Path $PSScriptRoot '*') -Destination $InstallDir -Recurse -Force
$node = Join-Path $InstallDir 'node.exe'
$agent = Join-Path $InstallDir 'agent\\agent.js'
$token = Join-Path $DataDir 'token.txt'
$cert = Join-Path $DataDir 'agent.crt'
$key = Join-Path $DataDir 'agent.key'
# A token, certificate or key that was there before is used only if no one else could have written it.
foreach ($file in @($token, $cert, $key)) {
  if (Test-Path -LiteralPath $file) {
    $problem = Get-TrustProblem $file -Secret:($file -ne $cert)
    if ($problem) {
      throw "$($problem): another account may have written it, and the agent would trust it. Find out who did, delete $file, and run install-agent.ps1 again: it writes a new one."
    }
  }
}
if (-not (Test-Path $token)) {
  & $node $agent agent --init --token-file $token --tls-cert $cert --tls-key $key --host $ListenHost
  if ($LASTEXITCODE -ne 0) { throw "agent --init failed with exit code $LASTEXITCODE" }
}
$arguments = '"' + $agent + '" agent --token-file "' + $token + '" --tls-cert "' + $cert + '" --tls-key "' + $key + '" --host ' + $ListenHost + ' --port ' + $Port
if ($AllowRemote) { $arguments += ' --allow-remote' }
$action = New-ScheduledTaskAction -Execute $node -Argument $arguments -WorkingDirectory $InstallDir
$trigger = New-ScheduledTaskTrigger -AtStartup
$runAs = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 3 -RestartInterval (New-TimeSpan -Minutes 1) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Principal $runAs -Settings $settings -Force | Out-Null
Start-ScheduledTask -TaskName $TaskName
$fingerprint = (New-Object Security.Cryptography.X509Certificates.X509Certificate2 $cert).GetCertHashString('SHA256')
$hostForUrl = if ($ListenHost -eq '0.0.0.0') { '<this machine address>' } elseif ($ListenHost.Contains(':')) { "[$ListenHost]" } else { $ListenHost }
Write-Host "drvcycle agent registered as the SYSTEM task '$TaskName' (starts at boot) and started."
Write-Host "On the runner:"
Write-Host "  DRVCYCLE_AGENTS=https://$($hostForUrl):$Port"
Write-Host "  DRVCYCLE_AGENT_TOKEN_FILE=<a copy of $token>"
Write-Host "  DRVCYCLE_AGENT_FINGERPRINT=$fingerprint"
`;

export const README = (version: string): string => `drvcycle agent ${version} for Windows x64

What is here
  node.exe            the Windows Node.js runtime the agent runs on
  agent\\agent.js      the drvcycle agent, bundled into one script (agent\\agent-pool-worker.js: its blocking-call worker;
                      agent\\batch-thread-worker.js: the thread a batch of cycles runs on)
  agent\\node_modules\\koffi   koffi with its win32-x64 native module (the agent's FFI to advapi32 and ntdll)
  install-agent.ps1   installs the agent as a SYSTEM scheduled task that starts at boot

Install (elevated PowerShell), then take the VM checkpoint with the agent running:
  powershell -ExecutionPolicy Bypass -File install-agent.ps1                        (loopback: reach it through an SSH tunnel)
  powershell -ExecutionPolicy Bypass -File install-agent.ps1 -ListenHost 0.0.0.0 -AllowRemote   (a VM on a host-only network)

Run by hand instead:
  node.exe agent\\agent.js agent --init --token-file C:\\drvcycle\\token.txt --tls-cert C:\\drvcycle\\agent.crt --tls-key C:\\drvcycle\\agent.key
  node.exe agent\\agent.js agent --token-file C:\\drvcycle\\token.txt --tls-cert C:\\drvcycle\\agent.crt --tls-key C:\\drvcycle\\agent.key

Test signing must be on for unsigned drivers (bcdedit /set testsigning on), and for a
certification Driver Verifier must verify the driver (verifier /standard /driver mydrv.sys).
`;
