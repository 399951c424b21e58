//! Turning the `async fn` into a synchronous function that runs it on a Runner.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::options::{Flavor, Options};

/// Which attribute is being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Main,
    Test,
}

impl Kind {
    fn attribute(self) -> &'static str {
        match self {
            Kind::Main => "#[ferrio::main]",
            Kind::Test => "#[ferrio::test]",
        }
    }
}

/// Expands one attribute; errors become `compile_error!` next to a stand-in for the
/// item, so the user sees the macro's message and not a cascade of unrelated ones.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    match expand(kind, args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let error = error.to_compile_error();
            let stand_in = stand_in(item);
            quote! { #error #stand_in }
        }
    }
}

/// What replaces the item when the attribute is wrong: the same function, but
/// synchronous and with a body that only panics. Left as written, `async fn main`
/// would add a second error ("`main` function is not allowed to be `async`") and
/// the body's `.await`s more; the function itself must stay, so that `main` exists
/// and calls to the function still resolve. The body is checked again once the
/// attribute is fixed.
fn stand_in(item: TokenStream) -> TokenStream {
    let Ok(mut function) = syn::parse2::<ItemFn>(item.clone()) else {
        // Not a function: the error says so; keep the tokens as they are.
        return item;
    };
    function.sig.asyncness = None;
    function.block =
        syn::parse_quote!({ ::core::panic!("this function's ferrio attribute failed to expand") });
    quote! {
        #[allow(dead_code, unreachable_code, unused_variables)]
        #function
    }
}

/// The expansion proper, separated from `proc_macro` types so unit tests can call it.
pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let options = Options::parse(args)?;
    let function: ItemFn = syn::parse2(item)?;
    check_signature(kind, &function)?;

    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = function;
    sig.asyncness = None;
    let krate = &options.krate;
    let runner = runner_expr(kind, &options);
    let expect_message = format!("{}: could not start the ferrio runtime", kind.attribute());
    let output_span = sig.output.span();
    let run = quote_spanned! {output_span=>
        {
            let body = async move #block;
            #[allow(clippy::expect_used)]
            let runner: #krate::Runner = #runner
                .build()
                .expect(#expect_message);
            // The tail position ties the body's output to the declared return
            // type, so `?` inside the body converts errors as in any function.
            runner.run(body)
        }
    };
    let test_attr = match kind {
        Kind::Main => quote!(),
        Kind::Test => quote!(#[::core::prelude::v1::test]),
    };
    Ok(quote! {
        #test_attr
        #(#attrs)*
        #vis #sig #run
    })
}

fn runner_expr(kind: Kind, options: &Options) -> TokenStream {
    let krate = &options.krate;
    let mut builder = match options.flavor {
        Flavor::CurrentThread => quote!(#krate::Runner::builder().current_thread()),
        Flavor::MultiThread => quote!(#krate::Runner::builder().multi_thread()),
    };
    if let Some(n) = options.worker_threads {
        builder = quote!(#builder.worker_threads(#n));
    }
    if options.debug {
        builder = quote!(#builder.debug(true));
    }
    if kind == Kind::Test {
        // Ctrl-C during `cargo test` must stop the whole run, not fail one test.
        builder = quote!(#builder.ctrl_c(Some(false)));
    }
    builder
}

fn check_signature(kind: Kind, function: &ItemFn) -> syn::Result<()> {
    let sig = &function.sig;
    let attribute = kind.attribute();
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("{attribute} needs an `async fn`; add the `async` keyword"),
        ));
    }
    if !sig.inputs.is_empty() {
        return Err(syn::Error::new(
            sig.inputs.span(),
            format!("{attribute} functions take no arguments"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("{attribute} functions cannot be generic"),
        ));
    }
    if kind == Kind::Main && sig.ident != "main" {
        return Err(syn::Error::new(
            sig.ident.span(),
            "#[ferrio::main] goes on `async fn main`; for a test use #[ferrio::test]",
        ));
    }
    if kind == Kind::Test {
        if let Some(attr) = function.attrs.iter().find(|a| a.path().is_ident("test")) {
            return Err(syn::Error::new(
                attr.span(),
                "#[ferrio::test] already adds #[test]; remove this one",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(kind: Kind, args: &str, item: &str) -> Result<String, String> {
        let args: TokenStream = args.parse().unwrap();
        let item: TokenStream = item.parse().unwrap();
        expand(kind, args, item)
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    }

    fn squash(s: &str) -> String {
        s.chars().filter(|c| !c.is_whitespace()).collect()
    }

    #[test]
    fn main_defaults_to_the_current_thread_runner() {
        let out = expand_str(Kind::Main, "", "async fn main() { println!(\"hi\"); }").unwrap();
        let out = squash(&out);
        assert!(out.starts_with("fnmain()"), "{out}");
        assert!(
            out.contains("::ferrio::Runner::builder().current_thread().build()"),
            "{out}"
        );
        assert!(out.contains("runner.run(body)"), "{out}");
        assert!(!out.contains("test"), "{out}");
    }

    #[test]
    fn options_reach_the_builder() {
        let out = expand_str(
            Kind::Main,
            "flavor = \"multi_thread\", worker_threads = 3, debug = true",
            "async fn main() {}",
        )
        .unwrap();
        let out = squash(&out);
        assert!(
            out.contains("::ferrio::Runner::builder().multi_thread().worker_threads(3usize).debug(true).build()"),
            "{out}"
        );
    }

    #[test]
    fn return_type_is_kept() {
        let out = expand_str(
            Kind::Main,
            "",
            "async fn main() -> Result<(), std::io::Error> { Ok(()) }",
        )
        .unwrap();
        let out = squash(&out);
        assert!(
            out.starts_with("fnmain()->Result<(),std::io::Error>"),
            "{out}"
        );
        assert!(out.contains("runner.run(body)"), "{out}");
    }

    #[test]
    fn test_adds_the_test_attribute_and_keeps_others() {
        let out = expand_str(
            Kind::Test,
            "debug = false",
            "#[should_panic] async fn it_works() { assert!(true); }",
        )
        .unwrap();
        let out = squash(&out);
        assert!(
            out.starts_with("#[::core::prelude::v1::test]#[should_panic]fnit_works()"),
            "{out}"
        );
        assert!(!out.contains(".debug("), "{out}");
    }

    #[test]
    fn crate_option_renames_the_path() {
        let out = expand_str(Kind::Test, "crate = \"my_ferrio\"", "async fn t() {}").unwrap();
        assert!(
            squash(&out).contains("my_ferrio::Runner::builder()"),
            "{out}"
        );
    }

    #[test]
    fn non_async_function_is_rejected() {
        let err = expand_str(Kind::Main, "", "fn main() {}").unwrap_err();
        assert!(err.contains("needs an `async fn`"), "{err}");
    }

    #[test]
    fn arguments_are_rejected() {
        let err = expand_str(Kind::Test, "", "async fn t(x: u32) {}").unwrap_err();
        assert!(err.contains("take no arguments"), "{err}");
    }

    #[test]
    fn generics_are_rejected() {
        let err = expand_str(Kind::Test, "", "async fn t<T>() {}").unwrap_err();
        assert!(err.contains("cannot be generic"), "{err}");
    }

    #[test]
    fn main_must_be_called_main() {
        let err = expand_str(Kind::Main, "", "async fn start() {}").unwrap_err();
        assert!(err.contains("goes on `async fn main`"), "{err}");
    }

    #[test]
    fn duplicate_test_attribute_is_rejected() {
        let err = expand_str(Kind::Test, "", "#[test] async fn t() {}").unwrap_err();
        assert!(err.contains("already adds #[test]"), "{err}");
    }

    #[test]
    fn unknown_option_lists_the_known_ones() {
        let err = expand_str(Kind::Main, "threads = 2", "async fn main() {}").unwrap_err();
        assert!(err.contains("unknown option"), "{err}");
        assert!(err.contains("worker_threads"), "{err}");
    }

    #[test]
    fn unknown_flavor_is_rejected() {
        let err =
            expand_str(Kind::Main, "flavor = \"threaded\"", "async fn main() {}").unwrap_err();
        assert!(err.contains("unknown flavor `threaded`"), "{err}");
    }

    #[test]
    fn workers_need_the_multi_thread_flavor() {
        let err = expand_str(Kind::Main, "worker_threads = 2", "async fn main() {}").unwrap_err();
        assert!(err.contains("needs `flavor = \"multi_thread\"`"), "{err}");
    }

    #[test]
    fn zero_workers_are_rejected() {
        let err = expand_str(
            Kind::Main,
            "flavor = \"multi_thread\", worker_threads = 0",
            "async fn main() {}",
        )
        .unwrap_err();
        assert!(err.contains("at least 1"), "{err}");
    }

    #[test]
    fn repeated_option_is_rejected() {
        let err = expand_str(
            Kind::Main,
            "debug = true, debug = false",
            "async fn main() {}",
        )
        .unwrap_err();
        assert!(err.contains("`debug` is given twice"), "{err}");
    }

    /// The error count of an expansion that failed: its `compile_error!`s, plus one
    /// for an `async fn main` left in it (rustc's E0752), plus one per `.await` left
    /// in a function that is not `async` (E0728).
    fn errors_in(out: &TokenStream) -> usize {
        let file: syn::File = syn::parse2(out.clone()).expect("the expansion parses");
        let text = out.to_string();
        let mut errors = text.matches("compile_error").count();
        for item in &file.items {
            if let syn::Item::Fn(function) = item {
                let body = quote!(#function).to_string();
                if function.sig.asyncness.is_some() && function.sig.ident == "main" {
                    errors += 1;
                }
                if function.sig.asyncness.is_none() {
                    errors += body.matches(". await").count();
                }
            }
        }
        errors
    }

    #[test]
    fn a_misused_option_gives_one_error_not_two() {
        for (args, message) in [
            ("worker_threads = 2", "`worker_threads` needs `flavor"),
            ("threads = 2", "unknown option"),
            ("flavor = \"threaded\"", "unknown flavor"),
            ("debug = true, debug = false", "given twice"),
        ] {
            let item: TokenStream = "async fn main() -> std::io::Result<()> { \
                 ferrio::sleep(std::time::Duration::from_millis(1)).await; Ok(()) }"
                .parse()
                .unwrap();
            let out = entry(Kind::Main, args.parse().unwrap(), item);
            assert_eq!(errors_in(&out), 1, "{args}: {out}");
            assert!(out.to_string().contains(message), "{args}: {out}");
            // `main` still exists (no "main function not found" either), with its
            // return type.
            let squashed = squash(&out.to_string());
            assert!(
                squashed.contains("fnmain()->std::io::Result<()>"),
                "{squashed}"
            );
        }
    }

    #[test]
    fn a_misused_test_attribute_gives_one_error() {
        let item: TokenStream = "async fn t() { std::future::ready(1).await; }"
            .parse()
            .unwrap();
        let out = entry(Kind::Test, "worker_threads = 0".parse().unwrap(), item);
        assert_eq!(errors_in(&out), 1, "{out}");
    }

    #[test]
    fn the_error_of_a_non_async_main_is_the_only_one() {
        let item: TokenStream = "fn main() {}".parse().unwrap();
        let out = entry(Kind::Main, TokenStream::new(), item);
        assert_eq!(errors_in(&out), 1, "{out}");
        assert!(out.to_string().contains("needs an `async fn`"), "{out}");
    }
}
