//! Attribute macros for the `wasio` runtime. Use them through `wasio`:
//! `#[wasio::main]` and `#[wasio::test]`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn};

/// The runtime a `main` or `test` builds, from the attribute's arguments
/// (tokio's: `flavor`, `worker_threads`, `crate` are accepted; `name`,
/// `start_paused = true` and `unhandled_panic = "shutdown_runtime"` are
/// applied).
fn runtime(args: TokenStream) -> syn::Result<proc_macro2::TokenStream> {
    use syn::parse::Parser;
    let args = syn::punctuated::Punctuated::<syn::MetaNameValue, syn::Token![,]>::parse_terminated
        .parse(args)?;
    let mut builder = quote!(::wasio::runtime::Builder::new_current_thread().enable_all());
    for arg in &args {
        let name = arg
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let text = match &arg.value {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => s.value(),
            _ => String::new(),
        };
        match (name.as_str(), text.as_str()) {
            ("unhandled_panic", "shutdown_runtime") => {
                builder = quote!(#builder.unhandled_panic(
                    ::wasio::runtime::UnhandledPanic::ShutdownRuntime
                ));
            }
            ("unhandled_panic", "ignore") => {}
            ("name", name) => builder = quote!(#builder.name(#name)),
            ("unhandled_panic", _) => {
                return Err(syn::Error::new_spanned(
                    &arg.value,
                    "unhandled_panic is \"ignore\" or \"shutdown_runtime\"",
                ))
            }
            ("start_paused", _) => {
                let paused = match &arg.value {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Bool(b),
                        ..
                    }) => b.value,
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &arg.value,
                            "start_paused is `true` or `false`",
                        ))
                    }
                };
                builder = quote!(#builder.start_paused(#paused));
            }
            ("flavor" | "worker_threads" | "crate", _) => {}
            _ => return Err(syn::Error::new_spanned(&arg.path, "unknown argument")),
        }
    }
    Ok(quote!(#builder.build().expect("wasio: cannot start the runtime")))
}

fn rewrite(args: TokenStream, item: ItemFn, test: bool) -> TokenStream {
    let runtime = match runtime(args) {
        Ok(r) => r,
        Err(e) => return e.to_compile_error().into(),
    };
    let ItemFn {
        attrs,
        vis,
        mut sig,
        block,
    } = item;
    if sig.asyncness.take().is_none() {
        return syn::Error::new_spanned(sig.fn_token, "the function must be `async fn`")
            .to_compile_error()
            .into();
    }
    let test_attr = if test {
        quote!(#[::core::prelude::v1::test])
    } else {
        quote!()
    };
    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig {
            #runtime.block_on(async move #block)
        }
    }
    .into()
}

/// Runs `async fn main` on a fresh wasio runtime.
///
/// ```ignore
/// #[wasio::main]
/// async fn main() {
///     wasio::time::sleep(std::time::Duration::from_millis(10)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    rewrite(args, parse_macro_input!(item as ItemFn), false)
}

/// Runs an `async fn` test on a fresh wasio runtime.
///
/// ```ignore
/// #[wasio::test]
/// async fn sleeps() {
///     wasio::time::sleep(std::time::Duration::from_millis(1)).await;
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    rewrite(args, parse_macro_input!(item as ItemFn), true)
}
