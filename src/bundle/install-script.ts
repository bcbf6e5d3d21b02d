/**
 * The agent bundle's install-agent.ps1 (Windows PowerShell 5.1, as Administrator) and README.txt.
 * The script copies the bundle to Program Files, creates the token and the TLS certificate once
 * (in ProgramData, owner-only), registers the agent as a scheduled task that runs as SYSTEM at
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
New-Item -ItemType Directory -Force -Path $InstallDir, $DataDir | Out-Null
Copy-Item -Path (Join-Path $PSScriptRoot '*') -Destination $InstallDir -Recurse -Force
$node = Join-Path $InstallDir 'node.exe'
$agent = Join-Path $InstallDir 'agent\\agent.js'
$token = Join-Path $DataDir 'token.txt'
$cert = Join-Path $DataDir 'agent.crt'
$key = Join-Path $DataDir 'agent.key'
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
  agent\\agent.js      the drvcycle agent, bundled into one script (agent\\blocking-worker.js: its SCM worker;
                      agent\\batch-worker.js: the thread a batch of cycles runs on)
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
