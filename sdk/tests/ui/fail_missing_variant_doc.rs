/// How to encrypt the connection.
#[airbyte_sdk::config]
#[airbyte(tag = "mode")]
pub enum SslMode {
    /// No encryption.
    Disable,
    VerifyFull {
        /// CA certificate.
        #[airbyte(secret)]
        ca_certificate: String,
    },
}

fn main() {}
