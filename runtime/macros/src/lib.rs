//! Attribute macros for the `wasio` runtime. Use them through `wasio`:
//! `#[wasio::main]` and `#[wasio::test]`.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, ItemFn};

fn rewrite(item: ItemFn, test: bool) -> TokenStream {
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
            ::wasio::Runtime::new()
                .expect("wasio: cannot start the runtime")
                .block_on(async move #block)
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
pub fn main(_args: TokenStream, item: TokenStream) -> TokenStream {
    rewrite(parse_macro_input!(item as ItemFn), false)
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
pub fn test(_args: TokenStream, item: TokenStream) -> TokenStream {
    rewrite(parse_macro_input!(item as ItemFn), true)
}
