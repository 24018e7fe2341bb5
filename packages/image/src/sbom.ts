/**
 * The image's SPDX 2.3 document: the npm packages esbuild put in the bundle, the Debian packages and the Node
 * runtime. It names the image by its digest and carries no build time, so it is as reproducible as the image.
 */
import type { Bundle } from './bundle.ts';
import type { DebianPackage } from './debian.ts';
import type { NodeRuntime } from './node-runtime.ts';

export interface SbomInput {
  readonly ref: string;
  readonly version: string;
  readonly digest: string;
  readonly created: string;
  readonly debianRelease: string;
  readonly bundle: Bundle;
  readonly debian: readonly DebianPackage[];
  readonly node: NodeRuntime;
}

interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo: string;
  downloadLocation: 'NOASSERTION';
  filesAnalyzed: false;
  licenseConcluded: 'NOASSERTION';
  licenseDeclared: string;
  supplier?: string;
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  externalRefs: { referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string }[];
}

export function spdxDocument(input: SbomInput): object {
  const image: SpdxPackage = {
    ...spdxPackage('image', 'podmcp', input.version, 'Apache-2.0'),
    checksums: [{ algorithm: 'SHA256', checksumValue: input.digest.replace(/^sha256:/, '') }],
    externalRefs: [purl(`pkg:oci/podmcp@${encodeURIComponent(input.digest)}?repository_url=${repository(input.ref)}`)],
  };
  const npm = input.bundle.packages.map((pkg) => ({
    ...spdxPackage(`npm-${pkg.name}-${pkg.version}`, pkg.name, pkg.version, spdxLicense(pkg.license)),
    externalRefs: [purl(`pkg:npm/${pkg.name.replace('@', '%40')}@${pkg.version}`)],
  }));
  const debian = input.debian.map((pkg) => ({
    ...spdxPackage(`deb-${pkg.name}-${pkg.version}`, pkg.name, pkg.version, 'NOASSERTION'),
    supplier: 'Organization: Debian',
    checksums: [{ algorithm: 'SHA256' as const, checksumValue: pkg.sha256 }],
    externalRefs: [
      purl(
        `pkg:deb/debian/${pkg.name}@${encodeURIComponent(pkg.version)}?arch=${pkg.architecture}&distro=debian-${input.debianRelease}`,
      ),
    ],
  }));
  const node = {
    ...spdxPackage(`npm-${input.node.package}-${input.node.version}`, input.node.package, input.node.version, 'MIT'),
    checksums: [{ algorithm: 'SHA256' as const, checksumValue: input.node.sha256 }],
    externalRefs: [purl(`pkg:npm/${input.node.package}@${input.node.version}`)],
  };
  const contained = [...npm, ...debian, node];
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.ref,
    documentNamespace: `https://podmcp.dev/spdx/podmcp/${input.version}/${input.digest.replace(/^sha256:/, '')}`,
    creationInfo: { created: input.created, creators: ['Tool: podmcp-image'] },
    packages: [image, ...contained],
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image.SPDXID },
      ...contained.map((pkg) => ({
        spdxElementId: image.SPDXID,
        relationshipType: 'CONTAINS',
        relatedSpdxElement: pkg.SPDXID,
      })),
    ],
  };
}

function spdxPackage(id: string, name: string, version: string, license: string): SpdxPackage {
  return {
    // SPDX identifiers allow letters, digits, '.' and '-' only.
    SPDXID: `SPDXRef-${id.replace(/[^A-Za-z0-9.-]/g, '-')}`,
    name,
    versionInfo: version,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: license,
    externalRefs: [],
  };
}

function purl(locator: string) {
  return { referenceCategory: 'PACKAGE-MANAGER' as const, referenceType: 'purl' as const, referenceLocator: locator };
}

/** package.json licenses are mostly SPDX ids already; anything else is not asserted. */
function spdxLicense(license: string): string {
  return /^[A-Za-z0-9.+-]+( (AND|OR) [A-Za-z0-9.+-]+)*$/.test(license) ? license : 'NOASSERTION';
}

function repository(ref: string): string {
  return encodeURIComponent(ref.slice(0, ref.lastIndexOf(':')));
}
