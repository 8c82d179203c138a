import type { messagingApi } from '@line/bot-sdk';

/** Small Flex building blocks shared by the cards (LINE's Flex Message components). */

export function text(
  value: string,
  extra: Partial<Omit<messagingApi.FlexText, 'type' | 'text'>> = {},
): messagingApi.FlexText {
  return { type: 'text', text: value, wrap: true, ...extra };
}

/** A "label ……… value" row. */
export function row(label: string, value: string): messagingApi.FlexBox {
  return {
    type: 'box',
    layout: 'baseline',
    spacing: 'sm',
    contents: [
      text(label, { size: 'sm', color: '#888888', flex: 3 }),
      text(value, { size: 'sm', color: '#222222', flex: 5, align: 'end' }),
    ],
  };
}

export function vbox(
  contents: messagingApi.FlexComponent[],
  extra: Partial<Omit<messagingApi.FlexBox, 'type' | 'layout' | 'contents'>> = {},
): messagingApi.FlexBox {
  return { type: 'box', layout: 'vertical', spacing: 'md', contents, ...extra };
}

export function button(
  action: messagingApi.Action,
  style: 'primary' | 'secondary' | 'link' = 'primary',
): messagingApi.FlexButton {
  return { type: 'button', style, height: 'sm', action };
}
