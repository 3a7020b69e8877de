#!/usr/bin/env bash
# Test certificates for the secure local stack (stack.sh with HOOKLINE_SECURE=1): a private CA and
# one server certificate for 127.0.0.1/localhost, used by Kafka's SASL_SSL listener and Redis TLS.
# Also a second, unrelated CA ("other-ca.crt"), so tests can show that a client trusting the wrong
# CA is refused. Generated with openssl, valid 30 days, regenerated when missing or expired.
#   bash deploy/local/certs.sh <dir>
set -Eeuo pipefail
dir=${1:?usage: certs.sh <dir>}
mkdir -p "$dir"
cd "$dir"
if [[ -f server.pem && -f ca.crt && -f other-ca.crt ]] && openssl x509 -checkend 86400 -noout -in server.crt >/dev/null 2>&1; then
  exit 0
fi
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj '/CN=hookline local test CA' \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj '/CN=someone else' \
  -keyout other-ca.key -out other-ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -subj '/CN=127.0.0.1' -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
openssl x509 -req -sha256 -days 30 -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
  -extfile server.ext -out server.crt 2>/dev/null
# Kafka's PEM key store: the PKCS#8 key followed by the certificate chain, in one file.
openssl pkcs8 -topk8 -nocrypt -in server.key -out server.pk8
cat server.pk8 server.crt >server.pem
chmod 644 ca.crt other-ca.crt server.crt
rm -f server.csr server.ext ca.srl
