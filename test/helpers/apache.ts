// Apache httpd with mod_auth_openidc (Debian's libapache2-mod-auth-openidc) as a second, independently
// written downstream RP of the broker: a generated configuration in a temp folder, an ephemeral port on
// loopback, a protected page that shows the claims mod_auth_openidc passes on (SSI echoing its
// OIDC_CLAIM_* environment), and a stop that waits for the server to exit. APACHE_LOG_LEVEL=debug makes
// mod_auth_openidc explain itself in the error log, which a failing test prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const apacheBinary = '/usr/sbin/apache2';
const moduleDirectory = '/usr/lib/apache2/modules';
const modules = {
  mpm_prefork_module: 'mod_mpm_prefork.so',
  authn_core_module: 'mod_authn_core.so',
  authz_core_module: 'mod_authz_core.so',
  authz_user_module: 'mod_authz_user.so',
  include_module: 'mod_include.so',
  auth_openidc_module: 'mod_auth_openidc.so',
};

/** Why Apache cannot run here, or undefined when it can (CI installs it: .ci/run). */
export function apacheMissing(): string | undefined {
  if (!existsSync(apacheBinary)) return `${apacheBinary} is not installed (Debian package apache2)`;
  for (const file of Object.values(modules))
    if (!existsSync(path.join(moduleDirectory, file))) return `${moduleDirectory}/${file} is not installed`;
  return undefined;
}

export interface ApacheRelyingParty {
  url: string;
  /** The page only a signed-in user sees; it lists their claims. */
  protectedUrl: string;
  redirectUri: string;
  signedOutUrl: string;
  /** The error log, for a failing test's message. */
  errorLog(): Promise<string>;
  close(): Promise<void>;
}

export function apacheUrls(port: number) {
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    protectedUrl: `${url}/protected/claims.html`,
    redirectUri: `${url}/protected/redirect_uri`,
    signedOutUrl: `${url}/signed-out.html`,
  };
}

const claimsPage = `<!DOCTYPE html>
<html lang="en"><head><title>Claims</title></head><body>
<h1>Signed in through Apache</h1>
<dl>
<dt>sub</dt><dd data-claim="sub"><!--#echo var="OIDC_CLAIM_sub" --></dd>
<dt>email</dt><dd data-claim="email"><!--#echo var="OIDC_CLAIM_email" --></dd>
<dt>name</dt><dd data-claim="name"><!--#echo var="OIDC_CLAIM_name" --></dd>
</dl>
</body></html>
`;

function configuration(root: string, port: number, options: ApacheOptions): string {
  const urls = apacheUrls(port);
  const runAs = process.getuid?.() === 0 ? 'User www-data\nGroup www-data\n' : '';
  const loads = Object.entries(modules)
    .map(([name, file]) => `LoadModule ${name} ${path.join(moduleDirectory, file)}`)
    .join('\n');
  return `ServerRoot "${root}"
ServerName 127.0.0.1
Listen 127.0.0.1:${port}
PidFile "${root}/httpd.pid"
DefaultRuntimeDir "${root}"
ErrorLog "${root}/error.log"
LogLevel warn auth_openidc:${process.env.APACHE_LOG_LEVEL ?? 'info'}
${loads}
${runAs}StartServers 1
MinSpareServers 1
MaxSpareServers 2
DocumentRoot "${root}/htdocs"
<Directory "${root}/htdocs">
  Options +Includes
  Require all granted
</Directory>
<Files "*.html">
  ForceType text/html
  SetOutputFilter INCLUDES
</Files>

OIDCProviderMetadataURL ${options.issuer}/.well-known/openid-configuration
OIDCClientID ${options.clientId}
OIDCClientSecret ${options.clientSecret}
OIDCProviderTokenEndpointAuth client_secret_basic
OIDCRedirectURI ${urls.redirectUri}
OIDCCryptoPassphrase ${randomBytes(24).toString('hex')}
OIDCPKCEMethod S256
OIDCScope "openid email profile"
OIDCPassClaimsAs environment
OIDCRemoteUserClaim sub
# The scripted browser is fetch(), which always sends Sec-Fetch-Mode: cors; mod_auth_openidc would take
# it for an XHR and answer 401 instead of sending it to sign in. Only a real XHR header counts here.
OIDCUnAuthAction 401 "%{HTTP:X-Requested-With} == 'XMLHttpRequest'"

<Location /protected>
  AuthType openid-connect
  Require valid-user
</Location>
`;
}

export interface ApacheOptions {
  port: number;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

async function waitUntilListening(url: string, child: ChildProcess, root: string): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (child.exitCode !== null) {
      const log = await readFile(path.join(root, 'error.log'), 'utf8').catch(() => '');
      throw new Error(`apache2 exited with ${child.exitCode}: ${log.slice(-2000)}`);
    }
    try {
      const response = await fetch(`${url}/signed-out.html`);
      await response.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('apache2 did not start listening within a minute');
}

export async function startApache(options: ApacheOptions): Promise<ApacheRelyingParty> {
  const root = await mkdtemp(path.join(tmpdir(), 'cqrs-apache-'));
  // The children run as www-data: they read the pages, never the configuration's secret.
  await chmod(root, 0o755);
  await mkdir(path.join(root, 'htdocs', 'protected'), { recursive: true, mode: 0o755 });
  await writeFile(path.join(root, 'htdocs', 'protected', 'claims.html'), claimsPage, { mode: 0o644 });
  await writeFile(
    path.join(root, 'htdocs', 'signed-out.html'),
    '<!DOCTYPE html><html lang="en"><head><title>Signed out</title></head><body><h1>Signed out</h1></body></html>\n',
    { mode: 0o644 },
  );
  const configFile = path.join(root, 'httpd.conf');
  await writeFile(configFile, configuration(root, options.port, options), { mode: 0o600 });
  // A process group of its own: on SIGTERM, Apache signals its whole group, which would otherwise be ours.
  const child = spawn(apacheBinary, ['-f', configFile, '-DFOREGROUND'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Should the test process end without its after hook, Apache (in its own group) must not outlive it.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  const urls = apacheUrls(options.port);
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
    await rm(root, { recursive: true, force: true });
  };
  try {
    await waitUntilListening(urls.url, child, root);
  } catch (error) {
    await close();
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  return {
    ...urls,
    errorLog: () => readFile(path.join(root, 'error.log'), 'utf8').catch(() => ''),
    close,
  };
}
