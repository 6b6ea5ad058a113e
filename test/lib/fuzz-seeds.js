'use strict';
// Seeds for test/lib/fuzz.test.js, made once with openssl 3.0 (the fuzz mutates these bytes, so
// they are fixed here for the fixed seed to mean the same mutants on every run). Passwords: "fuzz".
module.exports = [
  {
    name: 'ec-cert',
    kind: 'certificate',
    der:
      'MIICezCCAiCgAwIBAgIUANK1S2zVmHmR4m2A5UtCy7zEn0AwCgYIKoZIzj0EAwIwJTEQMA4GA1UEAwwHRnV6eiBFQzERMA8G' +
      'A1UECgwIQ2VydGZsb3cwHhcNMjYxMjAxMTUzNjU1WhcNMjYxMjMxMTUzNjU1WjAlMRAwDgYDVQQDDAdGdXp6IEVDMREwDwYD' +
      'VQQKDAhDZXJ0ZmxvdzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFmX96UsRGEAGZAEcM+LOoAqcM37ZQSLVgB8Ckbtr92P' +
      'Sf96sh4SJIqLsrEkBr6rsrQOqmWNDpaE4HQl1NFV27KjggEsMIIBKDAdBgNVHQ4EFgQUVPPs2TEhtRrPQW+QHMHW0Azfzwow' +
      'HwYDVR0jBBgwFoAUVPPs2TEhtRrPQW+QHMHW0AzfzwowDwYDVR0TAQH/BAUwAwEB/zA+BgNVHREENzA1ggxmdXp6LmV4YW1w' +
      'bGWHBMAAAgGBC2FAYi5leGFtcGxlhhJodHRwczovL3UuZXhhbXBsZS8wDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQMMAoGCCsG' +
      'AQUFBwMBMDAGCCsGAQUFBwEBBCQwIjAgBggrBgEFBQcwAYYUaHR0cDovL29jc3AuZXhhbXBsZS8wKQYDVR0fBCIwIDAeoByg' +
      'GoYYaHR0cDovL2NybC5leGFtcGxlL2MuY3JsMBMGA1UdIAQMMAowCAYGZ4EMAQIBMAoGCCqGSM49BAMCA0kAMEYCIQC66KHT' +
      'Kd64mHswbHJsI/UEgcw0QMFZww3u2ongrNs40wIhAIOIolQ1Pq9YqZzxxjPIp0IjNwYnSxC2vcrYoxUPXpoZ',
  },
  {
    name: 'rsa-cert',
    kind: 'certificate',
    der:
      'MIICAjCCAWugAwIBAgIUCIPqLB1FNPTYPo0gaAeKWle15WcwDQYJKoZIhvcNAQELBQAwEzERMA8GA1UEAwwIRnV6eiBSU0Ew' +
      'HhcNMjYxMjAxMTUzNjU1WhcNMjYxMjMxMTUzNjU1WjATMREwDwYDVQQDDAhGdXp6IFJTQTCBnzANBgkqhkiG9w0BAQEFAAOB' +
      'jQAwgYkCgYEAy8lMPeYM+S0GCnAds9IdTfk8/y4Ag7I/JDen/yx/cWxRJoczZnDBd4z2rBqMSzKPkLkhxADcLUSAsnPE8A4O' +
      'NjJM5aVrQepL9AgTFDMAqnYxaIHaweRXpo7ocVH91aLBOpl8ZuJr9arzneAIWzyvYjJHX/nG9ny3pDSMNrnPsV8CAwEAAaNT' +
      'MFEwHQYDVR0OBBYEFCEtKOecpepi2ApjePUTVcmLkJP6MB8GA1UdIwQYMBaAFCEtKOecpepi2ApjePUTVcmLkJP6MA8GA1Ud' +
      'EwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADgYEAK6EzhSvksqsZs2S8zSR4yKZqh65E2xujm7e1NqALhqFYl5+NGppaOhGf' +
      'D1YgSrCoZjIrozfnJ7V+Whhvn5joM+PU+3w0M3D+Hbna4mXU73ScggZOs6bUhFw8NiYN9+gbEYAKpMWesEASBWfC/DFZXsuj' +
      'dxl5Z4tUkyr5B7n432E=',
  },
  {
    name: 'ed25519-cert',
    kind: 'certificate',
    der:
      'MIIBODCB66ADAgECAhQaokAOjaWUvrEju892klOMB1sNiTAFBgMrZXAwEjEQMA4GA1UEAwwHRnV6eiBFZDAeFw0yNjEyMDEx' +
      'NTM2NTVaFw0yNjEyMzExNTM2NTVaMBIxEDAOBgNVBAMMB0Z1enogRWQwKjAFBgMrZXADIQCdQwRkiwh8GG4VEYQvgACBGEc0' +
      'a2o6q0j0X1kgUd+aZqNTMFEwHQYDVR0OBBYEFLMxfB0EjjXFPqc97Z/cgUKgAzOBMB8GA1UdIwQYMBaAFLMxfB0EjjXFPqc9' +
      '7Z/cgUKgAzOBMA8GA1UdEwEB/wQFMAMBAf8wBQYDK2VwA0EAc/iHVqU7jw2YwxNhdoe/L2U+rim3UPOWEERvsQ15c4HQelXi' +
      'iU83IBJmQPakz28S4iLggdtVhGTxO9qfKIhtBw==',
  },
  {
    name: 'ec-csr',
    kind: 'csr',
    der:
      'MIH5MIGhAgEAMBYxFDASBgNVBAMMC2Nzci5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWZf3pSxEYQAZkARw' +
      'z4s6gCpwzftlBItWAHwKRu2v3Y9J/3qyHhIkiouysSQGvquytA6qZY0OloTgdCXU0VXbsqApMCcGCSqGSIb3DQEJDjEaMBgw' +
      'FgYDVR0RBA8wDYILY3NyLmV4YW1wbGUwCgYIKoZIzj0EAwIDRwAwRAIgT1O24q0Ivn+ZWYBU1GNhqJOTlocoEfWb2qS0th3j' +
      'JjQCIDMuvEjqOcBnYDXesWSCNhfl2UciY+apXA1n0rFJNPbr',
  },
  {
    name: 'rsa-csr',
    kind: 'csr',
    der:
      'MIIBWTCBwwIBADAaMRgwFgYDVQQDDA9jc3ItcnNhLmV4YW1wbGUwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMvJTD3m' +
      'DPktBgpwHbPSHU35PP8uAIOyPyQ3p/8sf3FsUSaHM2ZwwXeM9qwajEsyj5C5IcQA3C1EgLJzxPAODjYyTOWla0HqS/QIExQz' +
      'AKp2MWiB2sHkV6aO6HFR/dWiwTqZfGbia/Wq853gCFs8r2IyR1/5xvZ8t6Q0jDa5z7FfAgMBAAGgADANBgkqhkiG9w0BAQsF' +
      'AAOBgQAq+TBU7g25HvA3uIKo8HDnZGzBDlF7IbdgB3HTYLbGpg5F3JSaXn+ubJpdUXnMy+69/z6sIR+PFRJvmJgrQvv51STi' +
      'VbEgeJGntYi58E3UuXDk9dgwR1SBEYbdtJ/Q6S32/cYxuVYmDQfqBhhQooU0587E7cQ0NMEMytXJ53t5Yg==',
  },
  {
    name: 'ec-pkcs8',
    kind: 'private-key',
    der:
      'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9Ku84kqPnxpfJqPrnteSq6IySadl3q+pbIfL466Fe6mhRANC' +
      'AARZl/elLERhABmQBHDPizqAKnDN+2UEi1YAfApG7a/dj0n/erIeEiSKi7KxJAa+q7K0DqpljQ6WhOB0JdTRVduy',
  },
  {
    name: 'rsa-pkcs1',
    kind: 'private-key',
    label: 'RSA PRIVATE KEY',
    der:
      'MIICWwIBAAKBgQDLyUw95gz5LQYKcB2z0h1N+Tz/LgCDsj8kN6f/LH9xbFEmhzNmcMF3jPasGoxLMo+QuSHEANwtRICyc8Tw' +
      'Dg42MkzlpWtB6kv0CBMUMwCqdjFogdrB5FemjuhxUf3VosE6mXxm4mv1qvOd4AhbPK9iMkdf+cb2fLekNIw2uc+xXwIDAQAB' +
      'AoGAXB/tKpJkTQTwlSloFBGpk8VXsNhf/SlIaBwNA0tfdawM54j5UJcqrtv364e44onB4x/+RrhI0OIF+CZj4k3IWCMpe3Vm' +
      'DxAq9kezerFARaHTLqS21NTuyyQJ3WpCJRz5i9hLObun07zZsnAg7TDEsWvIYyFhQO9w/L0LOCT2wakCQQDtwuYQKfekavaW' +
      'NzOWbCwFmhZhOXj0Qz0N/CVwAowFiQqaJG+VT6QfEyhT5ZY5H1ddDhKvxtCfIA3xHZrdGBbtAkEA22s0uYqytkKtvJGs/EJz' +
      'adF+u2QEZIRuLgGVVjrJDBDxU8xA05c2eBGCo8Grp+k7DYvHXiow7+KjnPWcTSAz+wJATrBkaBEbrsTf25NldXFTmH8IzSCy' +
      'UVU3jbtXwJx3LxXN9nn8nBQBo285t5qSf1FKHrgboyVPwnpfYt+Dc40XeQJAb/21+YWrVY+O8ZJBArhABCCjWK3h+BQH0H+K' +
      'Y2q5tujm4+h6pgSmDn6ReVeeb6OBOpa/eXZ7Z9T7wV8zGcJ4BQJAQG0oy6UYM0T+ZGwshLaWUy8wzId/u4xBxnSxpf7BmXbV' +
      'TOgIiSXVBT9wgS91iPiGHVpN90NucuW2Yrn8V7e/Ig==',
  },
  {
    name: 'ec-sec1',
    kind: 'private-key',
    label: 'EC PRIVATE KEY',
    der:
      'MHcCAQEEIPSrvOJKj58aXyaj657XkquiMkmnZd6vqWyHy+OuhXupoAoGCCqGSM49AwEHoUQDQgAEWZf3pSxEYQAZkARwz4s6' +
      'gCpwzftlBItWAHwKRu2v3Y9J/3qyHhIkiouysSQGvquytA6qZY0OloTgdCXU0VXbsg==',
  },
  { name: 'ed25519-pkcs8', kind: 'private-key', der: 'MC4CAQAwBQYDK2VwBCIEIFtJ+6fu7rWEcDnFYkRIyBc0w0375I9QOVOulRQ/iY3T' },
  {
    name: 'ec-encrypted-pkcs8',
    kind: 'encrypted-private-key',
    password: 'fuzz',
    der:
      'MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAiEfG9IG2rNeQICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQME' +
      'ASoEEB/SjQHN9E3ETVmdokYvL7wEgZDFXwhlkYQuTmrjXzEdVpUhmKmKUYoe6h1HLHMca1Ug2zN6Qywzirbu0H8Xpeufw1iR' +
      'jG95KvgolJKx+J5/lsRYYtFCemkXXS8r5tYVZ+RcprElfhtX06x0qU7nMRjCjzypnDppzSWpT8MRDURt/2pizWF7OkVUvSVk' +
      'maJIEnUF7VbI2YUinOQ7COgKAWImx4o=',
  },
  {
    name: 'rsa-spki',
    kind: 'public-key',
    der:
      'MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDLyUw95gz5LQYKcB2z0h1N+Tz/LgCDsj8kN6f/LH9xbFEmhzNmcMF3jPas' +
      'GoxLMo+QuSHEANwtRICyc8TwDg42MkzlpWtB6kv0CBMUMwCqdjFogdrB5FemjuhxUf3VosE6mXxm4mv1qvOd4AhbPK9iMkdf' +
      '+cb2fLekNIw2uc+xXwIDAQAB',
  },
  {
    name: 'ec-aes256.p12',
    kind: 'pkcs12',
    password: 'fuzz',
    der:
      'MIIFDAIBAzCCBMIGCSqGSIb3DQEHAaCCBLMEggSvMIIEqzCCA2IGCSqGSIb3DQEHBqCCA1MwggNPAgEAMIIDSAYJKoZIhvcN' +
      'AQcBMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgD/qjEpPglpAICCAAwDAYIKoZIhvcNAgkFADAdBglghkgBZQME' +
      'ASoEEBNlXT/wuHQzmQKdCiDZo/SAggLg1IiTWsZc4M44abS6vzLw9DXM8ejp8e/0jb4DTdHR3gm39ClzSwJZmeAorLFwtbcI' +
      '4sAMvY2qhRWhPFIKricpj5Qq7/k+nx9flq/HFZcF8bDeqAUTZD24wobBA9HDTT9Sm9ywVECXKB1uUolKQN2YpuS+w0fyMCkz' +
      'LgjFttQVa/YUa/2DbUK/8qP77NIX2FTsQfJML/kJvphgcmVzXBWsEtLJAsBdKBuhWk+pdzaPk5p+omrSNaM0+fBuae5pV0a+' +
      '4la1lNu7STCimS0Dl/KQqlvVar0kW868blxyA/CqQJlUeSaT+0Kiwvq64ARLQf+mO5KeD6dVlw5OC5kuop1mtn8cLAoYnycQ' +
      'W/U2XhZ8jPD2+JN9bRwgeLwnUIkl+rHkGVxWhMey+a5uKWQonjW0X3Ume5KsFRvxRA4LDPUrrff4V+NqQHVM5joBUiJF5NYL' +
      'BVPcYmutkcEdAArYxLZ9XjsSKcF+CZrUYdu0MYeVNMBVnrlOlQUJWCmkJ39iMOsEsYd6rS/nYYeizQeJmHgWkjMN3FGqeY7n' +
      'l84yqblUSSLZrgTJjI44vH4PNAwgZucTiak6nX53cnsBQZpVIHvLLLdFxRRRWaIzAfE+WL99dDyNZzAe1iewWqmmZ3/KPRAZ' +
      'NE16T7TzZQ+bLfnqTF1qLD+nYqxdx53u/vlbtPCnIMbt+7QvBTWwZ7jXVgoow3OZ5rMEQxrePtJEk4+anMcsdcdTD6Ex5d9E' +
      'JkIvnkEw13TsTl1mej7UzqfHwc+9uIt4J89/P9vtuYsBLRUBTGpVUuwbUk4zBg1/Kj/t6epALzjQhNPpTf5Z42aHsKqpzpQV' +
      '1BegQnYB/iTWqzJtb3LWM/sY9fRE14a+6sCSUx+HJXBb1V4sTOZQcLhvPjylchP7qi0w/YACJWWwzGmhuDGHSHngIuQ/w4nf' +
      '1Cof9VbdL0rOi82Q3uX/h688DC6hne2f1RYRdfshANcjqBCCSmgT+TCCAUEGCSqGSIb3DQEHAaCCATIEggEuMIIBKjCCASYG' +
      'CyqGSIb3DQEMCgECoIHvMIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjwTjl3fzXxKQICCAAwDAYIKoZIhvcN' +
      'AgkFADAdBglghkgBZQMEASoEEE0HQJFYH2hY7GzTfy1keS4EgZBtXB109VhYInCXqbHfKzdB86CuKs0JS4jJLDGnEO2UyBXk' +
      'L89omsn77/uo69bn7GHMIMcAh4emGCOzOlcObbtW+3amZJNuB143AkudE+w6JzMAfw8584vFiQQBxrQguJMADtc2zC1z5DN5' +
      'Xdog2rsDvmJ0VW7as/Rk5tRSdGEaPxk/mNELqEaQebsRso4qob0xJTAjBgkqhkiG9w0BCRUxFgQU+iuID3+zZheaqmNUG2hV' +
      'ceZZCM8wQTAxMA0GCWCGSAFlAwQCAQUABCB9479H9iBSVl5hAomUSaIB40l9QGvYi8oO3EHO3Zf0OAQIJWptrebhAlsCAggA',
  },
  {
    name: 'rsa-3des.p12',
    kind: 'pkcs12',
    password: 'fuzz',
    der:
      'MIIF+QIBAzCCBb8GCSqGSIb3DQEHAaCCBbAEggWsMIIFqDCCAqcGCSqGSIb3DQEHBqCCApgwggKUAgEAMIICjQYJKoZIhvcN' +
      'AQcBMBwGCiqGSIb3DQEMAQMwDgQIrlFrPQDCYFYCAggAgIICYNXolbXz13G3aBnWzkuotZHooliarxoY3cGm5heLqu1j/SEy' +
      'ZgD9FuRlwGLgBMbVbTxPXaafSZMBLtH74YkKua3raQ9CDgFrDJeI2Q98NnlhEjGvd27GaoVY6DSYoYVSG1Ly/Q6gmS4NpP/J' +
      'wIFFX4+Bh+28rECcINbV6y7xeuViqdsRIiYkY34wl1kfFzLf6GnrQkuU1yGXV2ctWFqS8CkCqCrBR2cotbNziTIqOYHURf+4' +
      'hY+nsoKJAFDUflKBggNkgutVo0wq5FNXLT0DHQwkncOEtuqmvOQIJfwtSADB3L3gH+dy4lMEr6I1jxjwrBXzLgk22VDr7YBW' +
      'pGxh2DMCgeYUZbR1Ubrk10I0LIDBXYKtwI2dSREKH7y/9S9QNuIiKP+7Rp7MMy7uKkZyYDlfOQlEgemPxJHJrqK3nWMjmuae' +
      'WUz3H0RleGx5ithP6OGvaa7TfCcakdlofV6Ax75ioxK7xi0vca0vNLTjTY58Sy5jf9p2XWO17dGsOBu7aWvuq9jc1Dn5aqFG' +
      'GGkGaIfdKAoY++qACcIucrmRqB3u1384dDV+Fc2eZYouBBf1qLYs53fA0fuzZ966EzHHT0tV45TqGj+J9i6KZhoaVGGNlRkI' +
      'SHpFLwb6VZPZvL6tNqNo/uxhxDU+e8yb3cKJsfITiLj3ZSqSq6GE5fuRSd2AZztr5nJv/wsahQ2jXscppoUc4jE0m5tbeFQW' +
      'SXqZMe9Rt5UnrhF4l55G2Yy9jAukunVHCojWPNQ/aN8fm9tXNXcEkcFC65gguUy6VNsHIUunBlqmHjBuuupeFmGZAPAMMIIC' +
      '+QYJKoZIhvcNAQcBoIIC6gSCAuYwggLiMIIC3gYLKoZIhvcNAQwKAQKgggKmMIICojAcBgoqhkiG9w0BDAEDMA4ECIoVMmgP' +
      'PCSkAgIIAASCAoCwJT5cNPONfufDyKvpYrk/k6Zh/Vb0+/+fOwhvHd7N0z50ZEHDg5/so0L45bLBYE4KX94o0UzMXZ/J0Y3f' +
      'UIlqyUZB51aiphB9AWCgJ6TpsJouUWE4ryLFxcRq3nnEULtD71wwCu8BzKGEcolY9GOhz0n1JaQaGMXf0S/H2BqFcY+Uj1be' +
      'rob8dkyeqJwApu2g1XaSaPyqxSQz7aOZ3dnxqbe5+n75MK+K3zA3ONHXbJyKB2oyHAt8kLmgJ53TH0rm/JbsxWE6bh6nlGLu' +
      'PSmOomTXu1YVsH3P8qXKXMe7bjcQWIREeig+QhDAGDXSNu8g75yzNaYQO6jHZvuNMNeOTuWrenagwqxFx6XsswORqMcWuln4' +
      'CiwK0tKscRxdfhKZQDKOzzhpdlY3z7xE4MX2hT82IUucUjfOOeAMt53wg9fVIUks1G1e04ckGkgSnnJ5VxJbe73u0r/8M6wZ' +
      'aVKOH+T/A8C6SIRgwD2MVAUZvW+EJ4ofDBaqILV1eYMIAbhSgzdwN65+K8/cDItG+qdIbQXyjY37ExmRUxiI4tic4J6zM4i3' +
      '2ApMMmq/676tPve/eYQfHjPHJnQ7/yqb+CDWHoTtQD2Ordv2c1oP83jitSKiNXjwuf0Zr+H3AirF+kQE/+WR92mfy5J2d4b3' +
      'YUs66b/maBKtTnu1oMnOSBFAaIwiIaNoY/v+GokGj0mDDEabn1ztF3xFaXp8Fu7THcaTlS2q7sQMtuUQuuxGswo1c8gXdfYS' +
      'Ry/+T2jh4FwImtipalhaiFuxt+6fn3+ibjor8s3E+8TD/+EDz81Vd6XBua2alP20l3dGl+QzfX0X2vTsh+7VzQtg+nYNmrO2' +
      '4X8jMSUwIwYJKoZIhvcNAQkVMRYEFAm97FGGI9wkCxxSc0dXKZJr+3gtMDEwITAJBgUrDgMCGgUABBR/9zDjpQnSMWFCbu13' +
      'z6PJAvnOCQQIqPc2MWtcXk0CAggA',
  },
  {
    name: 'ed25519-nomac.p12',
    kind: 'pkcs12',
    password: '',
    der:
      'MIICuAIBAzCCArEGCSqGSIb3DQEHAaCCAqIEggKeMIICmjCCAacGCSqGSIb3DQEHAaCCAZgEggGUMIIBkDCCAYwGCyqGSIb3' +
      'DQEMCgEDoIIBVDCCAVAGCiqGSIb3DQEJFgGgggFABIIBPDCCATgwgeugAwIBAgIUGqJADo2llL6xI7vPdpJTjAdbDYkwBQYD' +
      'K2VwMBIxEDAOBgNVBAMMB0Z1enogRWQwHhcNMjYxMjAxMTUzNjU1WhcNMjYxMjMxMTUzNjU1WjASMRAwDgYDVQQDDAdGdXp6' +
      'IEVkMCowBQYDK2VwAyEAnUMEZIsIfBhuFRGEL4AAgRhHNGtqOqtI9F9ZIFHfmmajUzBRMB0GA1UdDgQWBBSzMXwdBI41xT6n' +
      'Pe2f3IFCoAMzgTAfBgNVHSMEGDAWgBSzMXwdBI41xT6nPe2f3IFCoAMzgTAPBgNVHRMBAf8EBTADAQH/MAUGAytlcANBAHP4' +
      'h1alO48NmMMTYXaHvy9lPq4pt1DzlhBEb7ENeXOB0HpV4olPNyASZkD2pM9vEuIi4IHbVYRk8TvanyiIbQcxJTAjBgkqhkiG' +
      '9w0BCRUxFgQUBwr1pTYowZURDZQYrQ/5COMABFMwgewGCSqGSIb3DQEHAaCB3gSB2zCB2DCB1QYLKoZIhvcNAQwKAQKggZ4w' +
      'gZswVwYJKoZIhvcNAQUNMEowKQYJKoZIhvcNAQUMMBwECG8888xOuO+yAgIIADAMBggqhkiG9w0CCQUAMB0GCWCGSAFlAwQB' +
      'KgQQnh+SnKpPMyQFMAX/HKQQXgRAzVrMR3OCv3LJos+yd3W6D3C5zWGirTlUx6NGp2oW36GqYWvL+EcjQdWDjM5h5nx3FI4A' +
      '4/QWroeKCl66kiGb7TElMCMGCSqGSIb3DQEJFTEWBBQHCvWlNijBlRENlBitD/kI4wAEUw==',
  },
];
