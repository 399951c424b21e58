//! Parsing of the attribute's options: `flavor`, `worker_threads`, `debug`, `crate`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::{LitBool, LitInt, LitStr, Path};

/// Which executor the generated code asks the runner for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    CurrentThread,
    MultiThread,
}

/// The options of one `#[ferrio::main]` / `#[ferrio::test]` attribute.
pub(crate) struct Options {
    pub(crate) flavor: Flavor,
    pub(crate) worker_threads: Option<usize>,
    pub(crate) debug: bool,
    pub(crate) krate: Path,
}

impl Options {
    /// Parses the tokens between the attribute's parentheses.
    pub(crate) fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut flavor = None;
        let mut worker_threads = None;
        let mut debug = None;
        let mut krate = None;
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("flavor") {
                set_once(&meta, &mut flavor, parse_flavor(&meta)?, "flavor")
            } else if meta.path.is_ident("worker_threads") {
                let lit: LitInt = meta.value()?.parse()?;
                let n: usize = lit.base10_parse()?;
                if n == 0 {
                    return Err(syn::Error::new(
                        lit.span(),
                        "`worker_threads` must be at least 1",
                    ));
                }
                set_once(
                    &meta,
                    &mut worker_threads,
                    (n, lit.span()),
                    "worker_threads",
                )
            } else if meta.path.is_ident("debug") {
                let lit: LitBool = meta.value()?.parse()?;
                set_once(&meta, &mut debug, lit.value, "debug")
            } else if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                set_once(&meta, &mut krate, lit.parse::<Path>()?, "crate")
            } else {
                Err(meta.error(
                    "unknown option; expected one of `flavor = \"current_thread\" | \
                     \"multi_thread\"`, `worker_threads = N`, `debug = true | false`, \
                     `crate = \"path\"`",
                ))
            }
        });
        parser.parse2(args)?;

        let flavor = flavor.unwrap_or(Flavor::CurrentThread);
        if let (Flavor::CurrentThread, Some((_, span))) = (flavor, worker_threads) {
            return Err(syn::Error::new(
                span,
                "`worker_threads` needs `flavor = \"multi_thread\"`; the current-thread \
                 flavour runs everything on the calling thread",
            ));
        }
        Ok(Options {
            flavor,
            worker_threads: worker_threads.map(|(n, _)| n),
            debug: debug.unwrap_or(false),
            krate: krate.unwrap_or_else(|| syn::parse_quote!(::ferrio)),
        })
    }
}

fn parse_flavor(meta: &ParseNestedMeta<'_>) -> syn::Result<Flavor> {
    let lit: LitStr = meta.value()?.parse()?;
    match lit.value().as_str() {
        "current_thread" => Ok(Flavor::CurrentThread),
        "multi_thread" => Ok(Flavor::MultiThread),
        other => Err(syn::Error::new(
            lit.span(),
            format!("unknown flavor `{other}`; expected \"current_thread\" or \"multi_thread\""),
        )),
    }
}

fn set_once<T>(
    meta: &ParseNestedMeta<'_>,
    slot: &mut Option<T>,
    value: T,
    name: &str,
) -> syn::Result<()> {
    if slot.is_some() {
        return Err(meta.error(format!("`{name}` is given twice")));
    }
    *slot = Some(value);
    Ok(())
}
